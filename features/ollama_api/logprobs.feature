@ollama
Feature: Log probabilities of an answer's tokens
  As an Ollama client that scores, filters or highlights answers by the model's confidence
  I want each token of an answer with its log probability and its likeliest alternatives
  So that the confidence measures I built on Ollama work on this stack

  With `logprobs: true` every chunk carries one entry per token it brings: the token, its log probability
  and its UTF-8 bytes; `top_logprobs: N` adds the N likeliest tokens at that point, likeliest first. A
  non-streamed answer carries every entry. Without `logprobs` no entry is sent (Ollama's api_test.go).

  Rule: Each token of the answer comes with its log probability and the alternatives asked for

    Scenario Outline: A <mode> /api/<api> answer lists each of its tokens with its log probability
      When a client asks /api/<api> at temperature 0 for log probabilities with 3 alternatives, <mode>
      Then the tokens joined are the answer
      And every token is its own bytes with a log probability of at most 0 and the alternatives asked for, likeliest first
      And every chosen token is the likeliest of its alternatives
      And there is one log probability per generated token

      Examples:
        | api      | mode         |
        | generate | streamed     |
        | generate | not streamed |
        | chat     | streamed     |
        | chat     | not streamed |

    Scenario: Log probabilities without alternatives list the tokens alone
      When a client asks /api/chat at temperature 0 for log probabilities with 0 alternatives, not streamed
      Then the tokens joined are the answer
      And every token is its own bytes with a log probability of at most 0 and the alternatives asked for, likeliest first

  Rule: An answer that did not ask for log probabilities carries none

    Scenario Outline: A <mode> /api/<api> answer without logprobs has no log probabilities
      When a client asks /api/<api> for an answer without log probabilities, <mode>
      Then no chunk carries log probabilities

      Examples:
        | api      | mode         |
        | generate | streamed     |
        | chat     | not streamed |
