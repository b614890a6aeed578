@streaming
Feature: Streaming is incremental
  As a user watching an answer appear in a chat window
  I want the first tokens to arrive while the rest are still being generated
  So that the interface feels responsive instead of waiting for the whole answer

  A server that buffers the whole answer and then sends it as a stream passes every framing
  check; only timing tells them apart.

  Rule: Chunks leave the server as they are generated

    Scenario Outline: Streams from the <api> API deliver chunks as they are generated
      When a client streams a 16-token answer from the <api> API
      Then at least half of the chunks arrived separately
      And the first chunk arrived at least 0.2 seconds before the last

      Examples:
        | api    |
        | native |
        | OpenAI |
