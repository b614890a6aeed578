@reliability @ollama
Feature: A crashed engine costs only the requests it was serving
  As an operator moving a local LLM stack from Ollama to mistral.rs
  I want every loaded model to run in a runner process of its own, as Ollama runs llama-server
  So that one bad request or one crashed engine never takes the whole stack down

  Requests that once crashed the engine are refused before they reach it, with Ollama's status and
  message. A runner that dies, busy or idle, ends only its own requests, with Ollama's error text, and
  leaves the list of running models at once; the next request loads the model again, and the same
  gateway process gives the same answer it gave before the fault.

  Background:
    Given the model under test has given its answer to a reference prompt

  Rule: Requests that crashed the engine are refused with Ollama's errors, and the stack keeps serving

    Scenario Outline: <request> to <endpoint> is refused without harm
      When a client sends <request> to <endpoint>
      Then the response status is <status>
      And the error message starts with "<message>"
      And the same gateway process gives the same answer to the reference prompt

      @needs.embeddings
      Examples: Embedding batches with an empty text
        | request                                    | endpoint        | status | message                       |
        | an embedding batch with an empty text      | POST /api/embed | 400    | Input content cannot be empty |
        | an embedding batch ending in an empty text | POST /api/embed | 400    | Input content cannot be empty |

      Examples: Values the gateway once failed to decode
        | request                                     | endpoint           | status | message                                                                  |
        | an empty keep_alive                         | POST /api/generate | 400    | time: invalid duration ""                                                |
        | an empty keep_alive                         | POST /api/chat     | 400    | time: invalid duration ""                                                |
        | a model name that is a huge number          | POST /api/generate | 400    | json: cannot unmarshal number into Go struct field GenerateRequest.model |
        | a format whose properties are not an object | POST /api/generate | 500    | invalid format: "{\"type\":\"object\",\"properties\":5}"; expected "json" |
        | a format with an unknown type               | POST /api/chat     | 500    | invalid format: "{\"type\":\"objectx\"}"; expected "json"                |

    @needs.embeddings
    Scenario: The embedding requests that once killed the gateway, three times over
      When an empty text, an empty input and a batch ending in an empty text are embedded, three times over
      Then every batch holding an empty text was refused with 400 "Input content cannot be empty"
      And every empty input got an empty list of vectors
      And the same gateway process gives the same answer to the reference prompt

  Rule: A runner that dies fails only its own requests, and the next request loads the model again

    @needs.own_gateway
    Scenario: A runner killed during a streamed generation
      Given a long streamed generation is under way
      When the model's runner is killed
      Then the stream ends with the error line "an error was encountered while running the model: unexpected EOF"
      And the model under test is no longer listed as running
      And the same gateway process gives the same answer to the reference prompt

    @needs.own_gateway @needs.embeddings
    Scenario: A runner killed during an embedding batch
      Given a large embedding batch is under way
      When the model's runner is killed
      Then the embedding request fails with 400 "an error was encountered while running the model: unexpected EOF"
      And the same gateway process gives the same answer to the reference prompt

    @needs.own_gateway
    Scenario: A runner killed while idle leaves the running models at once
      When the model's runner is killed
      Then the model under test is no longer listed as running
      And the same gateway process gives the same answer to the reference prompt

    Scenario: A model whose runner cannot start
      Given a model file that no engine can load is installed
      When a client asks that model for a completion
      Then the response status is 500
      And the error message starts with "llama-server process has terminated: exit status 1: error loading model:"
      And the same gateway process gives the same answer to the reference prompt
