@ollama
Feature: Refusing bad requests the way Ollama does
  As an Ollama client that reacts to errors
  I want bad requests refused with Ollama's status codes and messages
  So that retries, "model not found" prompts and pull-if-missing logic behave the same

  Errors are JSON objects with one `error` field. The status differs by endpoint where Ollama
  differs: a request with no model field at all is 404 on generate and embed but 400 on chat and
  embeddings, a model name that is not installed is 404 everywhere, and not-found messages quote
  the name differently per endpoint.

  Rule: Requests Ollama refuses with a fixed message get that status and message

    Scenario Outline: <request> to <endpoint> is refused with <status>
      When a client sends <request> to <endpoint>
      Then the response status is <status>
      And the error message is "<message>"

      Examples: Unknown model
        | request          | endpoint             | status | message                                               |
        | an unknown model | POST /api/generate   | 404    | model 'no-such-model' not found                       |
        | an unknown model | POST /api/chat       | 404    | model 'no-such-model' not found                       |
        | an unknown model | POST /api/embed      | 404    | model "no-such-model" not found, try pulling it first |
        | an unknown model | POST /api/embeddings | 404    | model "no-such-model" not found, try pulling it first |
        | an unknown model | POST /api/show       | 404    | model 'no-such-model:latest' not found                |

      Examples: Missing model
        | request                   | endpoint             | status | message            |
        | a request without a model | POST /api/generate   | 404    | model '' not found |
        | a request without a model | POST /api/chat       | 400    | model is required  |
        | a request without a model | POST /api/embed      | 404    | model '' not found |
        | a request without a model | POST /api/embeddings | 400    | model is required  |
        | a request without a model | POST /api/show       | 400    | model is required  |

      Examples: Missing body
        | request       | endpoint           | status | message              |
        | an empty body | POST /api/generate | 400    | missing request body |
        | an empty body | POST /api/chat     | 400    | missing request body |
        | an empty body | POST /api/show     | 400    | missing request body |

      Examples: Bad keep_alive
        | request                             | endpoint           | status | message                              |
        | a keep_alive without a unit         | POST /api/generate | 400    | time: missing unit in duration "300" |
        | a keep_alive that is not a duration | POST /api/chat     | 400    | time: invalid duration "abc"         |

      Examples: Options of the wrong type
        | request                     | endpoint           | status | message                                      |
        | an option of the wrong type | POST /api/generate | 500    | option "temperature" must be of type float32 |
        | stop given as a string      | POST /api/chat     | 500    | option "stop" must be of type array          |

      Examples: Invalid values
        | request                           | endpoint           | status | message                                                                           |
        | an invalid model name             | POST /api/generate | 400    | invalid model name                                                                |
        | a think value that is not a level | POST /api/generate | 400    | invalid think value: "x" (must be "high", "medium", "low", "max", true, or false) |
        | top_logprobs out of range         | POST /api/chat     | 400    | top_logprobs must be between 0 and 20                                             |
        | an image that is not base64       | POST /api/generate | 400    | illegal base64 data at input byte 0                                               |
        | an input that is not text         | POST /api/embed    | 400    | invalid input type                                                                |

      Examples: Conflicting or invalid fields
        | request                           | endpoint           | status | message                                                                  |
        | a raw prompt with a system prompt | POST /api/generate | 400    | raw mode does not support template, system, or context                   |
        | an invalid format                 | POST /api/chat     | 500    | invalid format: "\"xml\""; expected "json" or a valid JSON Schema object |

  Rule: Bodies Ollama's JSON decoder rejects get a 400 with the decoder's message

    The message comes from Go's JSON decoder, so only its presence is compared.

    Scenario Outline: <request> to <endpoint> is refused by the decoder
      When a client sends <request> to <endpoint>
      Then the response status is 400
      And the response carries an error message

      Examples:
        | request                        | endpoint           |
        | malformed JSON                 | POST /api/generate |
        | malformed JSON                 | POST /api/chat     |
        | a prompt that is not a string  | POST /api/generate |
        | a stream flag that is a string | POST /api/generate |
        | messages that are not a list   | POST /api/chat     |

  Rule: Wrong methods and unknown paths are refused in plain text

    Scenario Outline: <endpoint> is refused with <status>
      When a client calls <endpoint> with a well-formed request
      Then the response status is <status>
      And the response is the plain text "<body>"

      Examples:
        | endpoint              | status | body                   |
        | GET /api/show         | 405    | 405 method not allowed |
        | POST /api/tags        | 405    | 405 method not allowed |
        | GET /api/no-such-path | 404    | 404 page not found     |
