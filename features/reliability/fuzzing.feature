@reliability @ollama @openai
Feature: Any request, however malformed, gets an answer a client can act on
  As an operator exposing the stack to clients I do not control
  I want every endpoint to answer bad input with a well-formed error
  So that no request crashes the gateway, hangs it, or gets an error Ollama never gives

  Requests are generated from the gateway's own description of its API, /api/openapi.json: bodies of the
  right shape with awkward values, bodies with one field of the wrong type, any JSON at all, and every method a
  path does not take. Requests that write the store use scratch names, removed afterwards. A client's mistake
  is a 4xx with {"error": "..."} (OpenAI's envelope under /v1); a 5xx only where Ollama documents one (a wrongly
  typed option, an invalid format, a failed runner, a full queue). The table of known bad requests is in
  ollama_api/errors.feature and openai_api/errors.feature, the requests that once crashed the engine in
  reliability/runners.feature; they are not repeated here.

  Background:
    Given the model under test has given its answer to a reference prompt

  Rule: Generated requests to every endpoint get well-formed answers, and the stack keeps serving

    @critical
    Scenario: Generated requests to every operation get well-formed answers, within the profile's short budget
      Given the cpu-2core profile's short fuzzing budget: up to 30 requests per operation, 90 s in all, each answered within 60 s
      And the installed models are noted
      When every operation of the gateway's API description gets generated requests within the "short" budget
      Then every operation was sent requests
      And no answer was a server error Ollama does not document, a malformed error or a hang
      And the installed models are as noted
      And the same gateway process gives the same answer to the reference prompt

    @slow @long
    Scenario: Generated requests to every operation get well-formed answers, within the profile's long budget
      Given the cpu-2core profile's long fuzzing budget: up to 400 requests per operation, 1200 s in all, each answered within 60 s
      And the installed models are noted
      When every operation of the gateway's API description gets generated requests within the "long" budget
      Then every operation was sent requests
      And no answer was a server error Ollama does not document, a malformed error or a hang
      And the installed models are as noted
      And the same gateway process gives the same answer to the reference prompt

  Rule: Hand-made hostile bodies are refused with Ollama's statuses

    Scenario Outline: <request> to <endpoint> is refused with <status>, and the stack keeps answering
      When a hostile client sends <request> to <endpoint>
      Then the response status is <status>
      And the error says "<message>"
      And the same gateway process gives the same answer to the reference prompt

      Examples:
        | request                                    | endpoint                  | status | message                |
        | a body declared larger than the limit      | POST /api/generate        | 413    | request body too large |
        | a body declared larger than the limit      | POST /v1/chat/completions | 413    | request body too large |
        | JSON nested a hundred thousand levels deep | POST /api/chat            | 400    | exceeded max depth     |
        | JSON nested a hundred thousand levels deep | POST /v1/chat/completions | 400    | exceeded max depth     |
        | a body that is not valid UTF-8             | POST /api/generate        | 400    | invalid character      |
        | a body that is not valid UTF-8             | POST /v1/completions      | 400    | invalid character      |

  Rule: Connections that misbehave do not keep other clients waiting

    Scenario: A client that sends its request headers one byte at a time keeps no one else waiting
      Given the cpu-2core profile's hostile-client bounds: other clients answered within 5 s, 200 silent connections
      And a client is sending its request headers one byte at a time
      When another client asks for the version
      Then the other client is answered within the profile's bound
      And the slow client is answered once its headers are complete

    @needs.own_gateway
    Scenario: A flood of connections that never send a request keeps no one else waiting and leaves no descriptor behind
      Given the cpu-2core profile's hostile-client bounds: other clients answered within 5 s, 200 silent connections
      And the profile's number of connections are open and silent
      When another client asks for the version
      Then the other client is answered within the profile's bound
      And once the silent connections hang up, the gateway holds no more descriptors than before
