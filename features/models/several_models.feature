@models @slow @needs.local_stack
Feature: Several models at once
  As a user switching between a coding model and a chat model
  I want the gateway to keep as many models loaded as OLLAMA_MAX_LOADED_MODELS allows
  So that switching back is instant while memory stays bounded

  When a request needs a model that is not loaded and the limit is reached, the least recently used
  idle model is unloaded first, as Ollama's scheduler does. `/api/ps` shows what is loaded.

  Rule: The number of loaded models never exceeds OLLAMA_MAX_LOADED_MODELS

    Scenario: With room for one model, switching unloads the first
      Given a gateway that keeps at most 1 model loaded, with models "first" and "second"
      When a client uses "first" and then "second"
      Then only "second" is listed as loaded

    Scenario: With room for two models, both stay loaded
      Given a gateway that keeps at most 2 models loaded, with models "first" and "second"
      When a client uses "first" and then "second"
      Then "first" and "second" are listed as loaded

  Rule: The least recently used model makes room

    Scenario: The model used longest ago is unloaded for a third
      Given a gateway that keeps at most 2 models loaded, with models "first", "second" and "third"
      When a client uses "first", "second", "first" and then "third"
      Then "first" and "third" are listed as loaded
