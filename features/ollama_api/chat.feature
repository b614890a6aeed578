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

    Scenario: A streamed chat is a sequence of chat chunks
      When a client chats with streaming
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

    Scenario: Roles are read case-insensitively
      When a client chats with the role written as "USER"
      Then the response status is 200
      And the response is a final chat object with Ollama's fields

  Rule: A conversation longer than the context window is shortened, not refused

    Ollama drops the oldest messages, keeping the system message and the last one, until the
    prompt fits `num_ctx`. Clients such as Aider rely on an answer rather than an error.

    Scenario: A conversation that overflows a small context window is still answered
      When a client chats with a conversation about twice as long as a 256-token context window
      Then the response status is 200
      And the response is a final chat object with Ollama's fields
      And the model read no more prompt tokens than the context window holds

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
