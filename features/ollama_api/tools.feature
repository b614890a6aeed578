@ollama @needs.tools @slow
Feature: Tool calls on /api/chat
  As an Ollama client that gives a model tools, such as an agent built on ollama-python
  I want every call the model makes to come back whole, named and numbered, streamed or not
  So that my agent runs each call once, answers it by its id, and never shows a call as text

  Ollama parses the model's `<tool_call>` output on the server: each call comes back in
  `message.tool_calls` with an id (`call_` and eight characters) and an index, its arguments as an
  object, and an empty `content`. A call whose JSON does not parse is dropped, as Ollama's template
  tool parser drops it: the answer is still a 200, never the 500 "error parsing tool call" that
  Ollama's built-in parsers gave (ollama#12064, #12884, #17638), and the broken call is not shown as
  text. A history that replays a call and the tool's answer, matched by `tool_call_id`, is answered.

  Rule: The model's calls come back whole, with an id and an index, and never as content

    Scenario Outline: A chat held to a call of the tool returns it with an id and an index, <streamed>
      When the model under test is held by its format to a call of the weather tool on /api/chat, <streamed>
      Then the response status is 200
      And the answer calls "get_weather" with a "location" argument, each call with an id and an index
      And the content does not carry the call

      Examples:
        | streamed     |
        | streamed     |
        | not streamed |

    @slow @needs.capable_model
    Scenario Outline: The capable model's call of the offered tool comes back as a call, not as text, <streamed>
      When the capable model is asked about the weather with the weather tool offered on /api/chat, <streamed>
      Then the response status is 200
      And the answer calls "get_weather" with a "location" argument, each call with an id and an index
      And the content does not carry the call
      And the answer ends with the reason "stop"

      Examples:
        | streamed     |
        | streamed     |
        | not streamed |

  Rule: A malformed call written by the model never breaks the answer

    Scenario Outline: A call whose JSON does not parse is dropped and the chat still answers, <streamed>
      When the model under test is held by its format to a malformed call of the weather tool on /api/chat, <streamed>
      Then the response status is 200
      And no call comes back
      And the content does not carry the call

      Examples:
        | streamed     |
        | streamed     |
        | not streamed |

  Rule: A conversation that carries a call and the tool's answer goes on

    @slow @needs.capable_model
    Scenario: The model answers from the tool's result replayed with its tool_call_id
      When the capable model is given the weather tool's result on /api/chat
      Then the response status is 200
      And the answer uses the tool's result
