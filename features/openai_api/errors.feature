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
        | request                          | endpoint                  | status | type                  | message                                                                                                       |
        | an unknown model                 | POST /v1/chat/completions | 404    | not_found_error       | model 'no-such-model' not found                                                                               |
        | an unknown model                 | POST /v1/completions      | 404    | not_found_error       | model 'no-such-model' not found                                                                               |
        | an empty body                    | POST /v1/chat/completions | 400    | invalid_request_error | EOF                                                                                                           |
        | an empty message list            | POST /v1/chat/completions | 400    | invalid_request_error | [] is too short - 'messages'                                                                                  |
        | no input                         | POST /v1/embeddings       | 400    | invalid_request_error | invalid input                                                                                                 |
        | a request without a model        | POST /v1/completions      | 404    | not_found_error       | model '' not found                                                                                            |
        | a request without a model        | POST /v1/chat/completions | 400    | invalid_request_error | model is required                                                                                             |
        | message content that is not text | POST /v1/chat/completions | 400    | invalid_request_error | invalid message content type: float64                                                                         |
        | an image given by URL            | POST /v1/chat/completions | 400    | invalid_request_error | image URLs are not currently supported, please use base64 encoded data instead                                |
        | an unsupported encoding format   | POST /v1/embeddings       | 400    | invalid_request_error | Invalid value for 'encoding_format' = hex. Supported values: ['float', 'base64'].                             |
        | an unknown reasoning effort      | POST /v1/chat/completions | 400    | invalid_request_error | invalid reasoning value: "x" (must be "minimal", "low", "medium", "high", "xhigh", "ultra", "max", or "none") |
        | a temperature given as text      | POST /v1/chat/completions | 400    | invalid_request_error | json: cannot unmarshal string into Go struct field ChatCompletionRequest.temperature of type float64          |
        | a temperature given as text      | POST /v1/completions      | 400    | invalid_request_error | json: cannot unmarshal string into Go struct field CompletionRequest.temperature of type float32              |
