@openai @streaming
Feature: Server-sent events on the OpenAI API
  As a client built on an OpenAI SDK
  I want streamed answers framed as OpenAI frames them
  So that SDK stream iterators, token counters and stop handling work

  Server-sent events (SSE) are how OpenAI streams: each event is `data: <json>` followed by a blank line, and the
  stream ends with `data: [DONE]`, the event that tells a client the answer is complete. A chunk's `delta` is the
  piece of the answer it adds. The role comes in the first chunk only; a separate chunk with an empty delta
  carries the finish reason; with `include_usage` a last chunk with no choices carries the usage.
  Legacy completion chunks each carry a usage of zero tokens until then, as Ollama sends them.

  Rule: Chat completion streams follow OpenAI's framing

    Scenario: A streamed chat completion is framed as server-sent events
      When an OpenAI client streams a chat completion
      Then the response is sent as "text/event-stream"
      And every event is a data line with a JSON chunk, and the stream ends with [DONE]
      And every chunk has the fields of a chat completion chunk
      And only the first chunk names the role
      And a separate chunk with an empty delta gives the finish reason

    Scenario: Usage comes in its own last chunk when the client asks for it
      When an OpenAI client streams a chat completion including usage
      Then the chunk before [DONE] has no choices and carries the usage
      And no other chunk carries usage

    Scenario: A stream cut short by the token limit says so in its finish chunk
      When an OpenAI client streams a chat completion limited to 2 tokens
      Then the finish chunk gives the reason "length"

    Scenario: The streamed chat completion joined together equals the non-streamed one
      When an OpenAI client asks for the same chat completion streamed and not streamed
      Then the joined stream equals the non-streamed answer

  Rule: Legacy completion streams follow OpenAI's framing

    Scenario: A streamed text completion is framed as server-sent events
      When an OpenAI client streams a text completion
      Then the response is sent as "text/event-stream"
      And every event is a data line with a JSON chunk, and the stream ends with [DONE]
      And every chunk has the fields of a text completion chunk

    Scenario: Usage of a streamed text completion comes in its own last chunk
      When an OpenAI client streams a text completion including usage
      Then the chunk before [DONE] has no choices and carries the usage
      And every other chunk carries a usage of zero tokens
