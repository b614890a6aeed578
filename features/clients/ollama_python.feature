@clients @ollama
Feature: The official ollama Python client
  As a developer using the `ollama` Python package
  I want its calls to succeed against the stack
  So that code written for Ollama runs unchanged

  The client validates every response with pydantic models: a shown model needs `model_info`,
  tool arguments must be objects, and every stream line must be JSON.

  Rule: Catalogue calls return validated models

    Scenario: Listing models finds the model under test
      When the ollama client lists the models
      Then the call succeeds
      And the ollama client's list includes the model under test

    Scenario: Showing the model returns its model info and capabilities
      When the ollama client shows the model under test
      Then the call succeeds
      And the shown model has model info and a list of capabilities

  Rule: Generation calls return validated answers

    Scenario Outline: <call> returns an answer
      When the ollama client calls <call>
      Then the call succeeds
      And the ollama client received a finished answer

      Examples:
        | call              |
        | chat              |
        | streamed chat     |
        | generate          |
        | streamed generate |

    @needs.embeddings
    Scenario: Embedding returns vectors
      When the ollama client calls embed
      Then the call succeeds
      And the ollama client received 2 vectors

  Rule: Errors become the client's ResponseError

    Scenario: An unknown model raises ResponseError with status 404
      When the ollama client chats with the model "no-such-model"
      Then the call fails with the client's error for status 404
