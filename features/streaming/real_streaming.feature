@streaming
Feature: Streaming is incremental
  As a user watching an answer appear in a chat window
  I want the first tokens to arrive while the rest are still being generated
  So that the interface feels responsive instead of waiting for the whole answer

  A server that buffers the whole answer and then sends it as a stream passes every framing
  check; only timing tells them apart.

  Rule: The first chunk arrives well before the last

    Scenario Outline: A <api> stream delivers its first chunk early
      When a client streams a 32-token answer from the <api> API
      Then the first chunk arrived in the first half of the stream's duration
      And the chunks were spread over at least 0.2 seconds

      Examples:
        | api    |
        | native |
        | OpenAI |
