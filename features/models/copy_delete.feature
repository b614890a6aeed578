@models @needs.local_stack @fixture.models.gateway
Feature: Copying and deleting models
  As a user of `ollama cp` and `ollama rm`, or of Open WebUI's model settings
  I want copies that share the model file and deletes that free only what no other model uses
  So that managing names never loses or corrupts a model

  Rule: A copy is another name for the same model

    Scenario: A copied model is listed with the source's digest and answers as the source does
      When a client copies "smollm2:135m" to "beefsteak"
      Then the response status is 200
      And "beefsteak:latest" is listed with the digest of "smollm2:135m"
      And "beefsteak" answers a question at temperature 0 as "smollm2:135m" does

    Scenario: A model created, copied, then deleted under its first name lives on under the copy
      Given "round-trip" was created from "smollm2:135m" with a system prompt of its own and asked a question
      And "round-trip" was copied to "round-trip-copy"
      When a client deletes "round-trip"
      Then "round-trip" is not listed
      And "round-trip-copy" answers that question at temperature 0 as "round-trip" did
      And showing "round-trip-copy" gives the system prompt of "round-trip"

  Rule: Deleting a name removes only the blobs no other model uses

    Scenario: Deleting one of two names keeps the model file for the other
      Given "smollm2:135m" was copied to "keeper:v1"
      When a client deletes "keeper:v1"
      Then the response status is 200
      And "keeper:v1" is not listed
      And the model file of "smollm2:135m" is still in the store

    Scenario: Deleting the last name of a model removes its blobs
      Given a GGUF of one's own was uploaded
      And "lonely" was created from that GGUF with a system prompt
      When a client deletes "lonely"
      Then the response status is 200
      And the blobs only "lonely" used are gone
      And the store is consistent

    Scenario: Deleting a loaded model unloads it
      Given "loaded-variant" was created from "smollm2:135m" and loaded
      When a client deletes "loaded-variant"
      Then the response status is 200
      And "loaded-variant" is not listed as loaded

  Rule: Bad names and unknown models get Ollama's errors and change nothing

    Scenario Outline: <operation> is refused with Ollama's error and changes nothing
      Given the store's listing is noted
      When a model request is sent: <operation>
      Then the response status is <status>
      And the error message is "<error>"
      And the store lists what it listed before

      Examples:
        | operation                          | status | error                                  |
        | copy from an unknown model         | 404    | model "no-such-model" not found        |
        | copy to a name with ..             | 400    | destination "../escape" is invalid     |
        | copy to a tag with a slash         | 400    | destination "x:a/b" is invalid         |
        | delete an unknown model            | 404    | model 'no-such-model' not found        |
        | delete a name with ..              | 400    | name "../../blobs" is invalid          |
        | delete without a name              | 400    | model is required                      |
