@models @needs.local_stack @fixture.models.gateway
Feature: Creating models
  As a user of `ollama create`
  I want a model built from my GGUF, or from an installed model with my own system prompt and parameters
  So that I can serve my own models and variants through the same API

  `/api/create` streams Ollama's status lines (`parsing GGUF`, `using existing layer`, `creating new layer`,
  `writing manifest`, `success`). Requests the gateway cannot serve (quantization, safetensors conversion)
  are refused with a clear error before anything is written.

  Rule: A model is created from an uploaded GGUF or from an installed model

    Scenario: A model created from an uploaded GGUF is listed and answers
      Given a GGUF of one's own was uploaded
      When a client creates "my-gguf:v1" from that GGUF with a ChatML template
      Then the create reports Ollama's status lines ending in success
      And "my-gguf:v1" is listed
      And "my-gguf:v1" answers a chat

    Scenario: A model created from an installed one carries its system prompt and parameters
      When a client creates "terse" from "smollm2:135m" with a system prompt and temperature 0.2
      Then the create reports Ollama's status lines ending in success
      And showing "terse" gives that system prompt and temperature 0.2
      And "terse" shares the model file of "smollm2:135m"

  Rule: A create the gateway cannot serve is refused and changes nothing

    Scenario Outline: Creating from <case> is refused and changes nothing
      Given the store's listing is noted
      When a client creates "refused" from <case>
      Then the response status is <status>
      And the error message contains "<error>"
      And the store lists what it listed before

      Examples:
        | case                       | status | error                                   |
        | a blob never uploaded      | 400    | not found                               |
        | a safetensors file         | 400    | safetensors conversion is not supported |
        | a model to quantize        | 400    | quantization is not supported           |
        | nothing                    | 400    | neither 'from' or 'files' was specified |
        | a model that is not there  | 404    | not found                               |
        | a file that is not GGUF    | 400    | supplied file was not in GGUF format    |

    Scenario: A name with a path in it is refused and changes nothing
      Given the store's listing is noted
      When a client creates "../../etc/evil" from "smollm2:135m"
      Then the response status is 400
      And the error message contains "invalid model name"
      And the store lists what it listed before

  Rule: Concurrent creates of one name leave one whole model

    Scenario: Two clients creating the same name at once leave one whole model
      When two clients create "twin" from "smollm2:135m" at the same time with different system prompts
      Then both creates end in success
      And "twin" is listed once with one of the two system prompts
      And the store is consistent
