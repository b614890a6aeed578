@openai
Feature: OpenAI Responses API
  As a client written for OpenAI's Responses API, such as Codex or the openai SDK's responses calls
  I want /v1/responses to answer in the Responses shape over the same chat the native API serves
  So that Responses clients and agents run against local models

  Ollama serves /v1/responses without state by rewriting it onto /api/chat: `instructions` becomes a
  system message, input items become messages, tool calls and tool results, `max_output_tokens` becomes
  the token budget and an absent `temperature` is 1.0. A `previous_response_id` is accepted and ignored,
  as Ollama ignores it: nothing earlier is recalled, so clients must send the whole conversation. Where
  Ollama departs from OpenAI's specification the stack follows Ollama, since no client studied breaks on
  it: an answer cut by the token budget still has the status `completed`, never `incomplete`, and a
  stream ends after its last event without `[DONE]`. Developer messages are read as system messages, as
  on /v1/chat/completions, since the models' chat templates know no developer role.

  Rule: A response carries the answer and the tokens /api/chat counts

    Scenario: A question sent as text is answered with the tokens /api/chat counts
      When a Responses client sends a question as text
      Then the response status is 200
      And the response has the fields of a Responses response
      And the response's text is not empty
      And the usage counts the tokens /api/chat counts for the same messages

    Scenario: Instructions reach the model as a system message
      When a Responses client sends a question with instructions
      Then the response status is 200
      And the usage counts the tokens /api/chat counts for the same messages
      And the prompt reads more tokens than the question alone

    Scenario: A conversation given as input items is read as the same conversation
      When a Responses client sends an earlier exchange and a follow-up question as input items
      Then the response status is 200
      And the answer is /api/chat's answer to the same messages
      And the usage counts the tokens /api/chat counts for the same messages

    Scenario: A previous response id is accepted and ignored: only the input is read
      When a Responses client sends a question naming a previous response
      Then the response status is 200
      And the usage counts the tokens /api/chat counts for the same messages

    Scenario: The token budget ends the answer, and the status stays "completed" as Ollama reports it
      When a Responses client asks for a long answer limited to 4 output tokens
      Then the response status is 200
      And the response's status field is "completed"
      And at most 4 output tokens were used

    Scenario: A json_schema text format gives an answer valid against the schema
      When a Responses client asks for JSON held to a schema by text.format
      Then the response status is 200
      And the response's text is JSON valid against that schema

  Rule: A tool call makes a round trip: the call, its result, the final answer

    @needs.capable_model
    Scenario: The model calls a function, reads its output and answers with it
      When a Responses client offers a weather tool, asks for the weather in Paris and sends the tool's result back
      Then the first response called the weather tool for Paris
      And the response status is 200
      And the final answer reports the tool's result

  Rule: A streamed response sends Ollama's events, numbered from 0, and the same answer

    Scenario: Streamed events come in order and join into the answer given without streaming
      When a Responses client streams a question and asks it again without streaming
      Then the events come in Ollama's order for a text answer, each named as its type
      And the sequence numbers run from 0 without a gap
      And the stream ends after response.completed, with no [DONE]
      And the streamed text joins into the answer given without streaming
      And the completed event's usage counts the tokens /api/chat counts for the same messages

  Rule: zstd-compressed bodies are read, as Codex sends them

    Scenario: A zstd-compressed request gets the answer the plain request gets
      When a Responses client sends a question compressed with zstd, and the same question plainly
      Then the compressed request gets the plain request's answer

    Scenario: A body marked zstd that is not zstd is refused with Ollama's native error
      When a client posts to /v1/responses a body marked zstd that is not
      Then the response status is 400
      And the error message is "failed to decompress request body"

  Rule: Bad requests get OpenAI's error envelope with Ollama's status

    Scenario Outline: A Responses request with <request> is refused with <status>
      When a Responses client sends <request>
      Then the response status is <status>
      And the response is an OpenAI error of type "<type>" saying "<message>"

      Examples:
        | request                          | status | type                  | message                                                                                                       |
        | an unknown model                 | 404    | not_found_error       | model 'no-such-model' not found                                                                               |
        | a request without a model        | 400    | invalid_request_error | model is required                                                                                             |
        | an input that is a number        | 400    | invalid_request_error | input must be a string or array: 1                                                                            |
        | an input item without a type     | 400    | invalid_request_error | input item missing required 'type' field                                                                      |
        | an input item of an unknown type | 400    | invalid_request_error | unknown input item type: "banana"                                                                             |
        | an image given by URL            | 400    | invalid_request_error | image URLs are not currently supported, please use base64 encoded data instead                                |
        | a file input                     | 400    | invalid_request_error | file inputs are not currently supported                                                                       |
        | an unknown reasoning effort      | 400    | invalid_request_error | invalid reasoning value: "x" (must be "minimal", "low", "medium", "high", "xhigh", "ultra", "max", or "none") |
