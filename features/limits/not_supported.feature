@limits @ollama
Feature: What the stack does not do, refused plainly
  As someone deciding whether to move from Ollama to the Mistral.rs stack
  I want to see what the stack does not do, next to what it does
  So that I find the gaps in the report, not in production

  The stack serves GGUF models shipped on PyPI, on CPUs, with no network. So it does not quantize models or convert
  safetensors when it creates one, none of its models reads images, thinks or fills in the middle of a text, and it
  never reaches ollama.com. Each of these is refused the way Ollama refuses it, with Ollama's status and a message
  that says what is missing, and nothing is changed. The full list of differences, each with its reason, is in
  docs/known-differences.md. Pushing to or pulling from a registry that asks for a login is not supported either:
  the stack sends no credentials.

  Rule: Models are created from GGUF files only

    @needs.local_stack @fixture.models.gateway
    Scenario Outline: Creating a model from <case> is refused with a message that says it is not supported, and changes nothing
      Given the store's listing is noted
      When a client creates "refused" from <case>
      Then the response status is 400
      And the error message contains "<error>"
      And the store lists what it listed before

      Examples:
        | case                | error                                   |
        | a safetensors file  | safetensors conversion is not supported |
        | a model to quantize | quantization is not supported           |

  Rule: No model here reads images, thinks, or fills in the middle of a text

    Scenario: A chat with an image attached is refused because the model has no vision
      When a client chats with an image attached
      Then the response status is 400
      And the error names the model in full and says "does not support vision"

    Scenario: A chat asking the model to think is refused because the model cannot think
      When a client chats with think set to true
      Then the response status is 400
      And the error names the model as sent and says "does not support thinking"

    Scenario: A completion with a suffix to fill in is refused because the model cannot insert
      When a client asks for a completion with a suffix to fill in the middle
      Then the response status is 400
      And the error names the model in full and says "does not support insert"

  Rule: Nothing here reaches ollama.com

    @needs.local_stack @needs.no_internet @fixture.models.gateway
    Scenario: Pulling a model from the public Ollama library, with no way to reach it, ends with an error naming the library and adds nothing
      Given the store's listing is noted
      When a client pulls "llama3.2:1b" from the public Ollama library
      Then the pull ends with an error containing "registry.ollama.ai"
      And the store lists what it listed before

    Scenario: The stack reports that it uses no cloud models
      When a client asks for the server's status
      Then the response status is 200
      And the status reports the cloud disabled, and nothing else
