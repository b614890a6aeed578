@models @needs.local_stack @fixture.models.gateway
Feature: Uploading model files as blobs
  As a user adding a GGUF of my own with `ollama create`
  I want the file stored under the digest of its bytes, or not at all
  So that a model built from it is exactly the file I uploaded

  `ollama create` first asks with HEAD whether the gateway has a blob, then uploads it to
  `/api/blobs/<digest>`. The gateway hashes the bytes while they stream to disk; a mismatch,
  a malformed digest or a connection cut mid-upload leaves no file behind.

  Rule: A blob is stored only under the digest of its bytes

    Scenario: An uploaded model file is stored and found under its digest
      When a client uploads a GGUF of its own under its digest
      Then the upload is answered with status 201
      And the gateway says it has that blob
      And the store is consistent

    Scenario: Uploading a blob the store already holds is answered 200
      Given a GGUF of one's own was uploaded
      When a client uploads a GGUF of its own under its digest
      Then the upload is answered with status 200

  Rule: A bad upload is refused and leaves nothing behind

    Scenario Outline: An upload under <case> is refused with Ollama's error
      When a client uploads a small file under <case>
      Then the upload is answered with status 400 and an error containing "<error>"
      And the gateway does not have that blob
      And the store is consistent

      Examples:
        | case                   | error                     |
        | another file's digest  | digest mismatch, expected |
        | a malformed digest     | invalid digest format     |

    Scenario: An upload cut off mid-way leaves no blob
      When a client uploads half of a file and hangs up
      Then the gateway does not have that blob
      And the store is consistent
      And the gateway still answers
