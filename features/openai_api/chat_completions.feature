@openai
Feature: OpenAI chat completions
  As a client written for OpenAI's chat API
  I want /v1/chat/completions to answer in OpenAI's shape
  So that OpenAI SDKs, agents and IDE plugins work against the stack

  Rule: A chat completion carries the answer, why it ended and the token usage

    Scenario: A chat completion has OpenAI's fields
      When an OpenAI client asks for a chat completion
      Then the response status is 200
      And the response has the fields of a chat completion
      And the usage adds up
      And the model name is echoed exactly as the client sent it

    Scenario: The token budget ends the answer with finish reason "length"
      When an OpenAI client asks for a chat completion limited to 4 tokens
      Then the response status is 200
      And the finish reason is "length"
      And at most 4 completion tokens were used
