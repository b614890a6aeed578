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

    Scenario: An unknown option key is ignored
      When a client asks for a completion with and without the unknown option "not_an_option"
      Then both answers are identical

    Scenario: The same request at temperature 0 gives the same answer
      When a client asks twice for the same completion at temperature 0
      Then both answers are identical

    Scenario: A stop sequence ends the answer just before it, with reason "stop"
      When a client asks for a completion that stops at a word of its temperature-0 answer
      Then generation stopped because of "stop"
      And the answer is the temperature-0 answer up to that word, without it

    Scenario Outline: <option> at temperature 1 gives the temperature-0 answer whatever the seed
      When a client asks for the same completion at temperature 1 with seeds 1, 2 and 3 and <option>
      Then every answer is the temperature-0 answer

      Examples:
        | option  |
        | top_k 1 |
        | top_p 0 |

    Scenario: At temperature 1 different seeds give different answers
      When a client asks for the same completion at temperature 1 with seeds 1, 2 and 3 and no other option
      Then the answers are not all the same

    @needs.seeded_sampling
    Scenario: At temperature 1 the same seed gives the same answer
      When a client asks twice for the same completion at temperature 1 with seed 7
      Then both answers are identical

  Rule: The answer reaches the client as the model wrote it

    Scenario: An answer that starts with a line break keeps it, streamed or not
      When a client asks for a raw completion of a list cut at the end of a line, streamed and not streamed
      Then the answer starts with whitespace
      And the joined stream equals the non-streamed answer byte for byte

    Scenario: Multi-byte characters arrive whole in every chunk of a stream
      When a client asks for a raw completion of a line of emoji, streamed and not streamed
      Then every chunk carries whole characters and the answer has characters beyond ASCII
      And the joined stream equals the non-streamed answer byte for byte

  Rule: keep_alive sets how long the model stays loaded after a request

    A number is seconds, a string a Go duration, a negative value means for ever and 0 unloads the
    model once the answer is complete. `/api/ps` shows when the model will be unloaded.

    Scenario Outline: keep_alive given as <form> keeps the model loaded <how long>
      When a client asks for a completion with keep_alive <value>
      Then the response status is 200
      And the running model expires <expiry>

      Examples:
        | form                | value | how long         | expiry                     |
        | a number of seconds | 120   | for two minutes  | about 120 seconds from now |
        | a duration          | "5m"  | for five minutes | about 300 seconds from now |
        | a negative number   | -1    | for ever         | in the far future          |
        | a negative duration | "-1m" | for ever         | in the far future          |

    Scenario Outline: keep_alive <value> answers, then unloads the model
      When a client asks for a completion with keep_alive <value>
      Then the response status is 200
      And the model under test is soon no longer listed as running

      Examples:
        | value |
        | 0     |
        | "0s"  |

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

  Rule: A model is refused what it cannot do, with Ollama's status and text

    Scenario Outline: A completion asking a model that cannot think to think <level> is refused
      When a client asks for a completion with think set to <value>
      Then the response status is 400
      And the error names the model as sent and says "does not support thinking"

      Examples:
        | level           | value    |
        | at all          | true     |
        | hard            | "high"   |
        | a medium amount | "medium" |
        | a little        | "low"    |

    Scenario: A completion that turns thinking off is answered by a model that cannot think
      When a client asks for a completion with think set to false
      Then the response status is 200
      And the response is a final completion object with Ollama's fields

    Scenario: A suffix to fill in is refused by a model without the insert capability
      When a client asks for a completion with a suffix to fill in the middle
      Then the response status is 400
      And the error names the model in full and says "does not support insert"

  Rule: A generation longer than the context window ends normally

    Scenario: A count to a thousand without a budget in a small context window stops at ten windows
      When a client asks for a count to a thousand without a token budget in a 64-token context window
      Then the response status is 200
      And the answer ends normally within ten context windows
