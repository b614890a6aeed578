@openai
Feature: OpenAI legacy completions
  As a client of OpenAI's legacy completions API, such as an autocomplete plugin
  I want /v1/completions to answer in OpenAI's shape and honour OpenAI's parameters
  So that prompt-in, text-out integrations work against the stack

  Ollama rewrites the request onto /api/generate; the usage is /api/generate's token counts and the
  response names the model exactly as the client spelled it.

  Rule: A completion carries the text, why it ended and the token usage

    Scenario: A completion carries text and the tokens /api/generate counts
      When an OpenAI client asks for a text completion
      Then the response status is 200
      And the response has the fields of a text completion
      And the answer is not empty
      And the usage counts the tokens /api/generate counts for the same request

    Scenario: The token budget ends the completion with finish reason "length"
      When an OpenAI client asks for a text completion limited to 4 tokens
      Then the response status is 200
      And the finish reason is "length"
      And at most 4 completion tokens were used

    Scenario: A stop text ends the completion just before it, with finish reason "stop"
      When an OpenAI client asks for a text completion that stops at a word of its usual answer
      Then the answer is the usual answer cut just before that word
      And the finish reason is "stop"

    Scenario Outline: The model named <form> is echoed as sent
      When an OpenAI client asks for a text completion naming the model under test <form>
      Then the response status is 200
      And the model name is echoed exactly as the client sent it

      Examples:
        | form                |
        | in upper case       |
        | without a tag       |
        | with the tag latest |
