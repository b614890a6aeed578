@clients @openai
Feature: The official openai Python client
  As a developer using the `openai` Python package with a local base URL
  I want its calls to succeed against the stack
  So that code written for OpenAI's API runs against local models

  Rule: Calls return parsed objects

    Scenario: Listing models finds the model under test
      When the openai client lists the models
      Then the call succeeds
      And the openai client's list includes the model under test

    Scenario Outline: <call> returns an answer
      When the openai client calls <call>
      Then the call succeeds
      And the openai client received a finished answer

      Examples:
        | call                      |
        | chat completions          |
        | streamed chat completions |
        | completions               |

    @needs.embeddings
    Scenario: Embedding returns vectors
      When the openai client calls embeddings
      Then the call succeeds
      And the openai client received 2 vectors

  Rule: Errors become the client's exception classes

    Scenario: An unknown model raises NotFoundError
      When the openai client chats with the model "no-such-model"
      Then the call fails with the client's error for status 404
