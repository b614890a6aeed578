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

    Scenario: Showing the model names its architecture and its completion capability
      When the ollama client shows the model under test
      Then the call succeeds
      And the shown model's info names its architecture and its capabilities include completion

  Rule: Generation calls return validated answers

    Scenario Outline: <call> returns a finished answer with text
      When the ollama client calls <call>
      Then the call succeeds
      And the ollama client received a finished answer
      And the answer the client received has text

      Examples:
        | call              |
        | chat              |
        | streamed chat     |
        | generate          |
        | streamed generate |

    @needs.embeddings
    Scenario: Embedding two texts with the embedding model returns one vector for each
      When the ollama client calls embed
      Then the call succeeds
      And the ollama client received 2 vectors of the same non-zero length

  Rule: Errors become the client's ResponseError

    Scenario: An unknown model raises ResponseError with status 404
      When the ollama client chats with the model "no-such-model"
      Then the call raises ResponseError with status 404, naming the model
