@ollama @needs.embeddings
Feature: Embeddings
  As a retrieval pipeline using Ollama's embedding endpoints
  I want vectors in Ollama's shapes and scale
  So that similarity search built on Ollama keeps working

  /api/embed takes one text or a batch and returns L2-normalised vectors; `dimensions` cuts
  them and normalises again. The legacy /api/embeddings returns one vector, not normalised.

  Rule: /api/embed returns one unit-length vector per input

    Scenario: One text gives one unit-length vector
      When a client embeds the text "The sky is blue"
      Then the response status is 200
      And the response has Ollama's embed fields
      And there is 1 vector
      And every vector has unit length

    Scenario: Each vector of a batch is the vector of the text at its position
      When a client embeds a batch of 4 texts out of sorted order, and each text alone
      Then the response status is 200
      And there are 4 vectors
      And every vector has unit length
      And each vector in the batch is the vector of the text at its position

    Scenario: Dimensions cut the vector and keep it unit length
      When a client embeds the text "The sky is blue" in 8 dimensions
      Then the response status is 200
      And every vector has 8 numbers
      And every vector has unit length

    Scenario: An empty input still answers with no vectors
      When a client embeds an empty input
      Then the response status is 200
      And there are 0 vectors

    Scenario: The same text always gives the same vector
      When a client embeds the text "The sky is blue" twice
      Then both vectors are identical

  Rule: The legacy /api/embeddings returns the raw vector

    Scenario: The legacy vector points the same way as the normalised one
      When a client embeds the text "The sky is blue" with both embedding endpoints
      Then the legacy response has one vector of the same length
      And the two vectors point the same way
      And the legacy vector is not rescaled to unit length
