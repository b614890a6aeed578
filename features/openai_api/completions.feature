@openai
Feature: OpenAI legacy completions
  As a client of OpenAI's legacy completions API, such as an autocomplete plugin
  I want /v1/completions to answer in OpenAI's shape
  So that prompt-in, text-out integrations work against the stack

  Rule: A completion carries the text, why it ended and the token usage

    Scenario: A completion has OpenAI's fields
      When an OpenAI client asks for a text completion
      Then the response status is 200
      And the response has the fields of a text completion
      And the usage adds up
      And the model name is echoed exactly as the client sent it
