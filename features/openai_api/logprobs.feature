@openai
Feature: Log probabilities in OpenAI's shape
  As a client of OpenAI's API that reads token log probabilities, such as an evaluation harness
  I want /v1/chat/completions to return them where OpenAI puts them, as Ollama does
  So that the same harness runs against OpenAI, Ollama and this stack

  Ollama maps `logprobs` and `top_logprobs` onto /api/chat and returns the entries under each choice's
  `logprobs.content`, in every streamed chunk that carries text and in the whole answer. The legacy
  /v1/completions takes `logprobs: N` but, like Ollama's, its answer carries no log probabilities.

  Rule: A chat completion carries each token's log probability under logprobs.content

    Scenario Outline: A <mode> chat completion lists each of its tokens with its log probability
      When an OpenAI client asks for a chat completion with log probabilities and 3 alternatives, <mode>
      Then the tokens joined are the answer
      And every token is its own bytes with a log probability of at most 0 and the alternatives asked for, likeliest first
      And every chosen token is the likeliest of its alternatives
      And there is one log probability per generated token

      Examples:
        | mode         |
        | streamed     |
        | not streamed |

  Rule: A legacy text completion takes logprobs and answers without them, as Ollama does

    Scenario: A text completion that asks for log probabilities is answered without them
      When an OpenAI client asks for a text completion with log probabilities of 3 alternatives
      Then no chunk carries log probabilities
      And the answer is not empty
