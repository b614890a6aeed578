@ollama
Feature: The context window
  As an Ollama client that sends long prompts or asks for long answers
  I want the context window handled as Ollama handles it
  So that long chats, summaries and stories behave the same on this stack

  A request's window is its `num_ctx`, else the Modelfile's, else OLLAMA_CONTEXT_LENGTH, else a default
  Ollama picks from the machine's VRAM: 4096 below 23 GiB, 32768 below 47 GiB, 262144 above, never more
  than the model's own window. A prompt longer than the window is cut to fit unless `truncate` is false; an
  answer that fills the window goes on with the context shifted unless `shift` is false.

  Rule: A prompt longer than the window is cut to fit, unless the client forbids it

    Scenario Outline: A prompt longer than the window on /api/<api> is cut to fit and answered
      When a client sends /api/<api> a prompt longer than a 128-token window
      Then the response status is 200
      And the prompt the model read fits the window

      Examples:
        | api      |
        | generate |
        | chat     |

    Scenario Outline: With truncate false a prompt longer than the window on /api/<api> is refused with llama-server's error
      When a client sends /api/<api> a prompt longer than a 128-token window with "truncate": false
      Then the response status is 400
      And the error is llama-server's refusal of a prompt that fills a 128-token window

      Examples:
        | api      |
        | generate |
        | chat     |

    Scenario: With shift false a prompt longer than the window is refused with Ollama's text
      When a client sends /api/generate a prompt longer than a 128-token window with "shift": false
      Then the response status is 400
      And the error message is "the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length"

  Rule: An answer that fills the window goes on, unless the client turns context shift off

    @slow
    Scenario: By default an answer goes on past a full window
      When a client asks for a 100-token answer in a 64-token window
      Then the response status is 200
      And the answer went on past the window

    Scenario: With shift false the answer ends when the window is full, with reason "length"
      When a client asks for a 100-token answer in a 64-token window with "shift": false
      Then generation stopped because of "length"
      And the prompt and the answer fit the window

  Rule: A model runs with the window the request sets, else the machine's default, and says so

    Scenario: /api/ps reports the machine's default window for a model run without one
      When a client asks for a short answer without setting a window
      Then /api/ps reports the machine's default window for the model

    Scenario: /api/ps reports the window the request set
      When a client asks for a short answer in a 256-token window
      Then /api/ps reports a 256-token window for the model

    Scenario: A prompt longer than the machine's default window is refused naming that window when truncate is false
      When a client sends /api/generate a prompt longer than the machine's default window with "truncate": false
      Then the response status is 400
      And the error is llama-server's refusal of a prompt that fills the machine's default window
