@ollama @streaming
Feature: NDJSON streaming on the native API
  As a native Ollama client that reads a stream line by line
  I want one complete JSON object per line and a final object that closes the answer
  So that ollama-python, ollama-js, Open WebUI and litellm parse every stream

  NDJSON (newline-delimited JSON) is Ollama's stream format: one JSON object per line, nothing else.
  ollama-python and Open WebUI call a JSON parser on every line, so a blank line or SSE
  `data:` framing breaks them. The last object has `"done": true`, why the answer ended and
  the metrics; the objects before it have `"done": false` and no metrics.

  Rule: Each line is one JSON object and the last one closes the answer

    Scenario Outline: A streamed <kind> arrives as one JSON object per line (NDJSON), the last one closing the answer
      When a client streams a <kind>
      Then the response is sent as "application/x-ndjson"
      And every line is one JSON object, with no blank lines
      And only the last chunk is marked done, with a reason and metrics

      Examples:
        | kind       |
        | completion |
        | chat       |

  Rule: Streaming changes how the answer travels, not what it says

    Scenario Outline: The streamed <kind> joined together equals the non-streamed one
      When a client asks for the same <kind> streamed and not streamed at temperature 0
      Then the joined stream equals the non-streamed answer
      And both report the same number of generated tokens

      Examples:
        | kind       |
        | completion |
        | chat       |
