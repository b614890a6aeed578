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

    Scenario Outline: <call> returns a finished answer with text
      When the openai client calls <call>
      Then the call succeeds
      And the openai client received a finished answer
      And the answer the client received has text

      Examples:
        | call                      |
        | chat completions          |
        | streamed chat completions |
        | completions               |

    @needs.embeddings
    Scenario: Embedding two texts with the embedding model returns one vector for each
      When the openai client calls embeddings
      Then the call succeeds
      And the openai client received 2 vectors of the same non-zero length

  Rule: Errors become the client's exception classes

    Scenario: An unknown model raises NotFoundError with status 404
      When the openai client chats with the model "no-such-model"
      Then the call raises NotFoundError with status 404, naming the model
