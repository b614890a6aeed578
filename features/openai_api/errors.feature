@openai
Feature: OpenAI-shaped errors
  As a client written for OpenAI's API
  I want errors in OpenAI's error envelope with Ollama's statuses
  So that SDK exception classes and retry logic react correctly

  Ollama maps 400 to `invalid_request_error`, 404 to `not_found_error` and everything else to
  `api_error`; `param` and `code` are always null.

  Rule: Bad requests get OpenAI's error envelope

    Scenario Outline: <request> to <endpoint> is refused with <status>
      When a client sends <request> to <endpoint>
      Then the response status is <status>
      And the response is an OpenAI error of type "<type>" saying "<message>"

      Examples:
        | request               | endpoint                 | status | type                  | message                         |
        | an unknown model      | POST /v1/chat/completions | 404   | not_found_error       | model 'no-such-model' not found |
        | an unknown model      | POST /v1/completions     | 404    | not_found_error       | model 'no-such-model' not found |
        | an empty body         | POST /v1/chat/completions | 400   | invalid_request_error | EOF                             |
        | an empty message list | POST /v1/chat/completions | 400   | invalid_request_error | [] is too short - 'messages'    |
        | no input              | POST /v1/embeddings      | 400    | invalid_request_error | invalid input                   |
