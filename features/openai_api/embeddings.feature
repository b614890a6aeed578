@openai @needs.embeddings
Feature: OpenAI embeddings
  As a retrieval pipeline written for OpenAI's embeddings API
  I want /v1/embeddings to answer in OpenAI's shape
  So that vector stores built on OpenAI's API can use the stack

  Rule: Each input gets a unit-length vector at its own index

    Scenario: A batch of texts gives one indexed vector per text
      When an OpenAI client embeds a batch of 2 texts
      Then the response status is 200
      And the response has the fields of an OpenAI embedding list
      And the vectors are indexed 0 to 1 in order
      And every OpenAI vector has unit length
