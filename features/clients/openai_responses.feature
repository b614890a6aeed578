@clients @openai
Feature: The official openai Python client's Responses calls
  As a developer using the `openai` Python package's Responses API with a local base URL
  I want its responses calls to succeed against the stack
  So that code and agents written for the Responses API run against local models

  The client parses the response object and every streamed event into typed models; its `stream` helper
  rebuilds the response from the events and fails on an event it cannot place.

  Rule: Calls return the client's typed responses

    Scenario Outline: <call> returns a completed response with text and usage
      When the openai client calls <call>
      Then the call succeeds
      And the openai client received a completed response with text and usage

      Examples:
        | call                               |
        | responses.create                   |
        | responses.create with instructions |
        | responses.create with stream       |
        | responses.stream                   |

  Rule: Errors become the client's exception classes

    Scenario: An unknown model raises NotFoundError with status 404
      When the openai client asks for a response from the model "no-such-model"
      Then the call raises NotFoundError with status 404, naming the model
