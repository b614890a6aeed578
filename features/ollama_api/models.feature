@ollama
Feature: Listing, showing and running models
  As an Ollama client such as Open WebUI, Continue or Copilot
  I want the model catalogue in Ollama's shapes
  So that model pickers, context sizes and capability checks work unchanged

  Open WebUI keys models by `model`, Continue and litellm by `name`; ollama-python requires
  `model_info` in a shown model, and Copilot calls `includes` on its `capabilities`.

  Rule: Installed models are listed with Ollama's fields

    Scenario: The model under test is listed with its name, digest and details
      When a client lists the installed models
      Then the response status is 200
      And every listed model has Ollama's tags fields
      And the model under test is listed under both name and model

  Rule: A model can be shown by either request key

    Scenario Outline: The model is shown when named under "<key>"
      When a client shows the model under test naming it under "<key>"
      Then the response status is 200
      And the response has Ollama's show fields
      And the model's capabilities include "completion"

      Examples:
        | key   |
        | model |
        | name  |

  Rule: A shown model tells clients its architecture and context window

    Copilot and litellm size their prompts from `<architecture>.context_length` in `model_info`.

    Scenario: The model info names the architecture and its context length
      When a client shows the model under test naming it under "model"
      Then the response status is 200
      And the model info gives the context length under the model's architecture

  Rule: Model details read as Ollama writes them, the same wherever a model is listed

    Scenario: Parameter size and quantization level are in Ollama's format on tags, show and ps alike
      Given the model under test has answered a prompt
      When a client lists the installed models, shows the model under test and lists the running models
      Then the parameter size is the shown parameter count written as Ollama writes it
      And the quantization level is a GGUF file type as Ollama names it
      And the details are the same on all three

  Rule: Model names are matched case-insensitively and echoed exactly as sent

    Inference answers name the model with the very string the client sent; only the lists use
    Ollama's `name:tag` form.

    Scenario Outline: A <kind> naming the model <form> is answered under that very name
      When a client asks for a <kind> naming the model under test <form>
      Then the response status is 200
      And the model name is echoed exactly as the client sent it

      Examples:
        | kind       | form                          |
        | completion | in upper case                 |
        | completion | without its tag               |
        | completion | with ":latest"                |
        | completion | in upper case without its tag |
        | chat       | in upper case                 |
        | chat       | without its tag               |
        | chat       | in upper case with ":latest"  |

  Rule: Models that have answered are listed as running

    Scenario: A model that has answered is listed as running
      Given the model under test has answered a prompt
      When a client lists the running models
      Then the response status is 200
      And every running model has Ollama's ps fields
      And the model under test is listed as running
