@ollama
Feature: Generating a completion
  As an Ollama client such as litellm, Continue or a script
  I want /api/generate to answer as Ollama does
  So that completions, token counts and model loading work unchanged

  A completion is streamed as NDJSON unless the client sends `"stream": false`. The final
  object carries why generation stopped and metrics in integer nanoseconds; empty metrics are
  omitted, never sent as zero. Sampling at temperature 0 makes answers repeatable.

  Rule: A non-streamed completion is one object with the answer and its metrics

    Scenario: A non-streamed completion carries the answer and metrics
      When a client asks for a completion without streaming
      Then the response status is 200
      And the response is a final completion object with Ollama's fields
      And the reported durations are nanoseconds consistent with the time the client waited
      And the model name is echoed exactly as the client sent it

    Scenario: A completion request that does not mention streaming is streamed
      When a client asks for a completion without saying whether to stream
      Then the response status is 200
      And the response is an NDJSON stream of completion chunks

  Rule: Options shape the answer

    Scenario: The token budget ends the answer with reason "length"
      When a client asks for a completion limited to 4 tokens
      Then the response status is 200
      And generation stopped because of "length"
      And at most 4 tokens were generated

    Scenario: Unknown option keys are ignored
      When a client asks for a completion with the unknown option "not_an_option"
      Then the response status is 200
      And the response is a final completion object with Ollama's fields

    Scenario Outline: keep_alive given as <form> is accepted
      When a client asks for a completion with keep_alive <value>
      Then the response status is 200
      And the response is a final completion object with Ollama's fields

      Examples:
        | form                       | value |
        | a number of seconds        | 1800  |
        | a duration                 | "10m" |
        | a negative number, forever | -1    |

    Scenario: The same request at temperature 0 gives the same answer
      When a client asks twice for the same completion at temperature 0
      Then both answers are identical

  Rule: The prompt is templated unless the client asks for raw mode

    Scenario: A system prompt and a template change what the model reads
      When a client asks for the same completion plainly, with a system prompt and with a bare template
      Then the system prompt adds prompt tokens
      And the bare template removes prompt tokens

    Scenario: A raw completion has no context to continue
      When a client asks for a raw completion
      Then the response status is 200
      And the final object carries no context

  Rule: A returned context continues the conversation

    Scenario: Sending the context back extends it
      Given a first completion has returned its context
      When a client sends a follow-up prompt with that context
      Then the response status is 200
      And the follow-up returns a longer context than the first completion

  Rule: An empty prompt loads the model and keep_alive 0 unloads it

    Scenario: An empty prompt loads the model
      When a client sends an empty prompt
      Then the response status is 200
      And the response is a single "load" object without metrics

    # Slow: the next scenario has to load the model again.
    @slow
    Scenario: An empty prompt with keep_alive 0 unloads the model
      Given the model under test has answered a prompt
      When a client unloads the model with keep_alive 0
      Then the response status is 200
      And the response is a single "unload" object without metrics
      And the model under test is soon no longer listed as running

  Rule: Structured output follows the requested format

    The format is enforced by constrained decoding, so even a small model answers with JSON.

    Scenario Outline: A completion in <format> is a JSON document
      When a client asks for a completion in <format>
      Then the response status is 200
      And the answer is a JSON document with the keys the prompt asked for

      Examples:
        | format        |
        | JSON mode     |
        | a JSON schema |
