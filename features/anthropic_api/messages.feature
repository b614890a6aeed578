@anthropic
Feature: Anthropic Messages API
  As a client written for Anthropic's Messages API, such as Claude Code or the anthropic SDK
  I want /v1/messages to answer in Anthropic's shape over the same chat the native API serves
  So that Anthropic clients and agents run against local models

  Ollama serves /v1/messages by rewriting it onto /api/chat: `system` becomes a system message (its text
  blocks joined), content blocks become messages, tool calls and tool results, `max_tokens` (required)
  becomes the token budget and `stop_sequences` the stop texts; temperature, top_p and top_k are passed
  only when sent. Where Ollama departs from Anthropic's specification the stack follows Ollama, since no
  client studied breaks on it: a matched stop sequence reads as `end_turn` and `stop_sequence` stays null,
  because the native chat reports both as "stop". It departs from Ollama once: an empty answer has an
  empty content list, not null, since the SDKs read content as a list. Beyond Ollama, which answers 404,
  /v1/messages/count_tokens counts a request's prompt tokens, as mistral.rs's own server does, because
  Claude Code calls it to size its context.

  Rule: A message carries the answer, why it stopped and the tokens /api/chat counts

    Scenario: A question is answered with text and the tokens /api/chat counts
      When an Anthropic client sends a question
      Then the response status is 200
      And the response has the fields of an Anthropic message
      And the message's text is not empty
      And the usage counts the tokens /api/chat counts for the same messages

    Scenario: A system prompt given as text blocks reaches the model as one system message
      When an Anthropic client sends a question with a system prompt as text blocks
      Then the response status is 200
      And the usage counts the tokens /api/chat counts for the same messages
      And the prompt reads more tokens than the question alone

    Scenario: A conversation given as content blocks is read as the same conversation
      When an Anthropic client sends an earlier exchange and a follow-up question as content blocks
      Then the response status is 200
      And the answer is /api/chat's answer to the same messages
      And the usage counts the tokens /api/chat counts for the same messages

    Scenario: The token budget ends the answer with the stop reason "max_tokens"
      When an Anthropic client asks for a long answer limited to 4 tokens
      Then the response status is 200
      And the stop reason is "max_tokens"
      And at most 4 output tokens were used

    Scenario: A stop sequence ends the answer just before it, with the stop reason "end_turn" as Ollama reports it
      When an Anthropic client asks a question that stops at a word of its usual answer
      Then the message is the usual answer cut just before that word
      And the stop reason is "end_turn"

    Scenario: The query the SDK's beta calls append is accepted
      When an Anthropic client sends a question with the query the SDK's beta calls add
      Then the response status is 200
      And the usage counts the tokens /api/chat counts for the same messages

  Rule: A tool call makes a round trip: tool_use, tool_result, the final answer

    @needs.capable_model
    Scenario: The model calls a tool, reads its result and answers with it
      When an Anthropic client offers a weather tool, asks for the weather in Paris and sends the tool's result back
      Then the first message called the weather tool for Paris, with the stop reason tool_use
      And the response status is 200
      And the final message reports the tool's result

  Rule: A streamed message sends Anthropic's events and the same answer

    Scenario: Streamed events come in order and join into the message given without streaming
      When an Anthropic client streams a question and asks it again without streaming
      Then the Anthropic events come in order, each named as its type
      And the text block starts with an empty text the SDKs append to
      And the streamed text joins into the message given without streaming
      And message_delta carries the stop reason and the usage /api/chat counts for the same messages

  Rule: Token counting and compressed bodies

    Scenario: count_tokens gives the input tokens the message then reads
      When an Anthropic client counts the tokens of a question with a system prompt, then sends it
      Then the count is the input tokens the message's usage reports

    Scenario: A zstd-compressed request gets the answer the plain request gets
      When an Anthropic client sends a question compressed with zstd, and the same question plainly
      Then the compressed message gets the plain message's answer

  Rule: Bad requests get Anthropic's error envelope with Ollama's status

    Scenario Outline: A Messages request with <request> is refused with <status>
      When an Anthropic client sends <request>
      Then the response status is <status>
      And the response is an Anthropic error of type "<type>" saying "<message>"

      Examples:
        | request                        | status | type                  | message                                                          |
        | an unknown model               | 404    | not_found_error       | model 'no-such-model' not found                                  |
        | a request without a model      | 400    | invalid_request_error | model is required                                                |
        | no max_tokens                  | 400    | invalid_request_error | max_tokens is required and must be positive                      |
        | a max_tokens of 0              | 400    | invalid_request_error | max_tokens is required and must be positive                      |
        | an empty message list          | 400    | invalid_request_error | messages is required                                             |
        | an image given by URL          | 400    | invalid_request_error | invalid image source type: url. Only base64 images are supported. |
        | a tool_use block without an id | 400    | invalid_request_error | tool_use block missing required 'id' field                       |

    Scenario: Counting the tokens for an unknown model is refused with 404
      When an Anthropic client counts the tokens of a message for an unknown model
      Then the response status is 404
      And the response is an Anthropic error of type "not_found_error" saying "model 'no-such-model' not found"
