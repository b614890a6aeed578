@openai @needs.tools @slow
Feature: Tool calls on /v1/chat/completions
  As a client written for OpenAI's tool calling, such as an agent on the OpenAI SDK
  I want calls in OpenAI's shape, streamed or not, with the finish reason OpenAI gives
  So that the SDK assembles each call and my agent knows when the model is waiting for a tool

  Ollama's compatibility layer keeps the id and index /api/chat gave each call and sends its
  arguments as a JSON string; a streamed call arrives in one delta, so the pieces an SDK joins by
  index are valid JSON (ollama#9632, #9084, #12557 report streamed calls dropped or reordered). The
  finish reason is `tool_calls` when the model stopped after a call, but `length` when the token
  budget ended the answer, even with a complete call, as Ollama 0.32.6 does. `tool_choice` is
  accepted and ignored, as Ollama ignores it: `"none"` still lets the model call a tool and
  `"required"` forces nothing. A call whose JSON does not parse is dropped, never a 500.

  Rule: Calls come back in OpenAI's shape with the finish reason tool_calls

    Scenario Outline: A completion held to a call of the tool returns it with an id and an index, <streamed>
      When the model under test is held by its format to a call of the weather tool on /v1/chat/completions, <streamed>
      Then the response status is 200
      And the answer calls "get_weather" with a "location" argument, each call with an id and an index
      And the content does not carry the call
      And the answer ends with the reason "tool_calls"

      Examples:
        | streamed     |
        | streamed     |
        | not streamed |

    @slow @needs.capable_model
    Scenario Outline: The capable model's call comes back as a call with the finish reason tool_calls, <streamed>
      When the capable model is asked about the weather with the weather tool offered on /v1/chat/completions, <streamed>
      Then the response status is 200
      And the answer calls "get_weather" with a "location" argument, each call with an id and an index
      And the content does not carry the call
      And the answer ends with the reason "tool_calls"

      Examples:
        | streamed     |
        | streamed     |
        | not streamed |

    Scenario Outline: A budget that ends just as the call is complete gives the finish reason length, <streamed>
      When the model under test is held by its format to a call of the weather tool on /v1/chat/completions within a budget that ends just as the call is complete, <streamed>
      Then the answer calls "get_weather" with a "location" argument, each call with an id and an index
      And the answer ends with the reason "length"

      Examples:
        | streamed     |
        | streamed     |
        | not streamed |

  Rule: tool_choice is accepted and ignored, as in Ollama

    Scenario Outline: tool_choice <choice> is accepted and the model calls the tool as it would without it
      When the model under test is held to a call of the weather tool on /v1/chat/completions with tool_choice <choice>
      Then the response status is 200
      And the call and its arguments are the same as without tool_choice

      Examples:
        | choice                                                    |
        | "none"                                                    |
        | "required"                                                |
        | {"type": "function", "function": {"name": "get_weather"}} |

  Rule: A malformed call written by the model never breaks the answer

    Scenario Outline: A call whose JSON does not parse is dropped and the completion still answers, <streamed>
      When the model under test is held by its format to a malformed call of the weather tool on /v1/chat/completions, <streamed>
      Then the response status is 200
      And no call comes back
      And the content does not carry the call
      And the answer ends with the reason "stop"

      Examples:
        | streamed     |
        | streamed     |
        | not streamed |

  Rule: A conversation that carries a call and the tool's answer goes on

    @slow @needs.capable_model
    Scenario: The model answers from the tool's result matched to its call by tool_call_id
      When the capable model is given the weather tool's result on /v1/chat/completions
      Then the response status is 200
      And the answer uses the tool's result
