@streaming
Feature: Streaming is incremental
  As a user watching an answer appear in a chat window
  I want the first tokens to arrive while the rest are still being generated
  So that the interface feels responsive instead of waiting for the whole answer

  A server that buffers the whole answer and then sends it as a stream passes every framing
  check; only timing tells them apart. A buffered stream reaches the client in one burst, while
  a real one arrives token by token, however fast the engine is.

  Rule: Chunks leave the server as they are generated

    Scenario Outline: Streams from the <api> API deliver chunks as they are generated
      When a client streams a 16-token answer from the <api> API
      Then the response status is 200
      And at least half of the chunks arrived separately

      Examples:
        | api    |
        | native |
        | OpenAI |
