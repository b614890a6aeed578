@models @slow @needs.local_stack @fixture.models.gateway
Feature: The store survives a killed gateway
  As an operator whose gateway may be killed at any moment (OOM killer, power cut, `kill -9`)
  I want the store whole after a restart
  So that no model is lost or half-written

  Every store write goes to a temporary file, is flushed to disk and renamed into place, and a manifest is
  written only after every blob it names. After SIGKILL a restarted gateway finds each model whole or absent:
  no manifest naming a missing blob, no half blob under its final name.

  Rule: SIGKILL during a store operation leaves a consistent store

    Scenario Outline: The gateway is killed while it <operation>
      Given the store's listing is noted
      When the gateway is killed while it <operation>
      And the gateway is started again on the same store
      Then the store is consistent
      And the store lists what it listed before, give or take "<name>"
      And every listed model can be shown

      Examples:
        | operation                        | name        |
        | creates a model from a GGUF      | crash-gguf  |
        | creates a model from another     | crash-from  |
        | copies a model                   | crash-copy  |
        | deletes a model                  | crash-copy  |
        | receives a blob                  | nothing     |
