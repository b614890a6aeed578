@clients @anthropic
Feature: The official anthropic Python client
  As a developer using the `anthropic` Python package with the stack's URL as its base URL
  I want its message calls to succeed against the stack
  So that code written for Anthropic's API runs against local models

  The client builds its typed Message from the JSON answer and, when streaming, from the events: a block
  start without its empty `text` key, a missing usage or an unknown stop reason breaks it. Its beta calls
  append `?beta=true` to the path.

  Rule: Calls return the client's typed messages

    Scenario Outline: <call> returns a finished message with text and usage
      When the anthropic client calls <call>
      Then the call succeeds
      And the anthropic client received a finished message with text and usage

      Examples:
        | call                 |
        | messages.create      |
        | messages.stream      |
        | beta.messages.create |

    Scenario: A streamed message is the message created without streaming
      When the anthropic client creates a message and streams the same request
      Then the call succeeds
      And the streamed message has the created message's text, stop reason and usage

    Scenario: count_tokens counts the input tokens the message then reads
      When the anthropic client counts the tokens of a request and then creates it
      Then the call succeeds
      And the count equals the created message's input tokens

  Rule: Errors become the client's exception classes

    Scenario: An unknown model raises NotFoundError with status 404
      When the anthropic client creates a message with the model "no-such-model"
      Then the anthropic client raises NotFoundError with status 404, naming the model
