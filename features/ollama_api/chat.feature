@ollama
Feature: Chatting with a model
  As an Ollama client such as Open WebUI, Aider through litellm, or ollama-python
  I want /api/chat to answer as Ollama does
  So that conversations, streaming and tool use work unchanged

  Every chunk carries the model, an assistant message and `done`; the last one adds why the
  answer ended and the metrics. Fields that are empty are omitted: litellm throws away the
  content of any chunk that carries a `thinking` field, even an empty one.

  Rule: A non-streamed chat is one assistant message with its metrics

    Scenario: A non-streamed chat carries an assistant message and metrics
      When a client chats without streaming
      Then the response status is 200
      And the response is a final chat object with Ollama's fields
      And the reported durations are nanoseconds consistent with the time the client waited
      And the model name is echoed exactly as the client sent it

    Scenario: A streamed chat arrives as one chat chunk per line, the last one done with the metrics
      When a client chats with streaming
      Then the response status is 200
      And the response is an NDJSON stream of chat chunks

    Scenario: A chat request that does not mention streaming is streamed
      When a client chats without saying whether to stream
      Then the response status is 200
      And the response is an NDJSON stream of chat chunks

  Rule: Earlier messages reach the model

    Scenario Outline: <history> is part of the prompt
      When a client chats once with only the last message and once with <history> before it
      Then the longer conversation evaluates more prompt tokens

      Examples:
        | history             |
        | a system message    |
        | an earlier exchange |

    Scenario: Roles in any case reach the model as the lower-case roles
      When a client chats once with the roles written "SYSTEM" and "User" and once in lower case
      Then both chats read the same number of prompt tokens
      And both chats give the same answer

  Rule: A conversation longer than the context window is shortened, not refused

    Ollama drops the oldest messages, keeping the system message and the last one, until the
    prompt fits `num_ctx`. Clients such as Aider rely on an answer rather than an error.

    Scenario: An overflowing conversation keeps the system message and the newest messages that fit
      When a client chats with a conversation about twice as long as a 128-token context window
      Then the response status is 200
      And the model read no more prompt tokens than the context window holds
      And the model read the system message and the newest messages that fit, as a request of just those reads them

    Scenario: A single message longer than the context window is answered within it or refused, never failed
      When a client chats with one message about twice as long as a 128-token context window
      Then the chat is answered within the context window or refused with a client error about the context

  Rule: An empty conversation loads the model and keep_alive 0 unloads it

    Scenario: A chat with no messages loads the model
      Given the model under test is not loaded
      When a client chats with no messages
      Then the response status is 200
      And the response is a single "load" object without metrics
      And the model under test is listed as running now

    Scenario: A chat with no messages and keep_alive 0 unloads the model
      Given the model under test has answered a prompt
      When a client unloads the model by chatting with no messages and keep_alive 0
      Then the response status is 200
      And the response is a single "unload" object without metrics
      And the model under test is soon no longer listed as running

  Rule: Chats sent at the same time do not mix

    Scenario: Two chats sent at once each get the answer they get alone
      When a client sends two different chats at once at temperature 0
      Then each chat's answer equals its answer when sent alone

  Rule: A model is refused what it cannot do, with Ollama's status and text

    Scenario Outline: A chat asking a model that cannot think to think <level> is refused
      When a client chats with think set to <value>
      Then the response status is 400
      And the error names the model as sent and says "does not support thinking"

      Examples:
        | level           | value    |
        | at all          | true     |
        | hard            | "high"   |
        | a medium amount | "medium" |
        | a little        | "low"    |

    Scenario: A chat that turns thinking off is answered by a model that cannot think
      When a client chats with think set to false
      Then the response status is 200
      And the response is a final chat object with Ollama's fields

    Scenario: Tools offered to a model without the tools capability are refused
      Given a copy of the model under test whose template offers no tools
      When a client chats with that model offering a weather tool
      Then the response status is 400
      And the error names the model in full and says "does not support tools"

  Rule: Requests shaped like real clients' are accepted

    Scenario: A litellm-style request without a Content-Type header is answered
      When a client chats the way litellm does, without a Content-Type header
      Then the response status is 200
      And the response is a final chat object with Ollama's fields

  Rule: Structured output follows the requested format

    Scenario: A chat in JSON mode answers with a JSON document
      When a client chats in JSON mode
      Then the response status is 200
      And the answer is a JSON document with the keys the prompt asked for

  Rule: Tool calls carry their arguments as an object

    @needs.tools
    Scenario: A chat that offers a tool is answered in Ollama's shape
      When a client chats offering a weather tool
      Then the response status is 200
      And the response is a final chat object with Ollama's fields

    @needs.tools
    Scenario: A model held to a call of the offered tool returns the call with its arguments as an object
      When a client asks about the weather with a format that admits only a call of the weather tool
      Then the response status is 200
      And the answer calls "get_weather" with a "location" argument

    @needs.tools @needs.capable_model
    Scenario: The model calls the offered tool
      When a client asks about the weather offering a weather tool
      Then the response status is 200
      And the answer calls "get_weather" with a "location" argument
