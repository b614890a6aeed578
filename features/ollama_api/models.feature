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

    Scenario Outline: Showing the model named under "<key>"
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

  Rule: Model names are matched the way Ollama matches them

    Scenario: A model name in another case finds the same model
      When a client asks for a completion naming the model under test in upper case
      Then the response status is 200
      And the model name is echoed exactly as the client sent it

  Rule: Models that have answered are listed as running

    Scenario: A model that has answered is listed as running
      Given the model under test has answered a prompt
      When a client lists the running models
      Then the response status is 200
      And every running model has Ollama's ps fields
      And the model under test is listed as running
