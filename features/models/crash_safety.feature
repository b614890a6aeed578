@models @needs.local_stack @fixture.models.gateway
Feature: The store survives a killed gateway
  As an operator whose gateway may be killed at any moment (OOM killer, power cut, `kill -9`)
  I want the store whole after a restart
  So that no model is lost or half-written

  Every store write goes to a temporary file, is flushed to disk and renamed into place, and a manifest is
  written only after every blob it names. After SIGKILL a restarted gateway finds each model whole or absent:
  no manifest naming a missing blob, no half blob under its final name, no temporary file, no blob that no
  model uses. The kill waits until the store shows the operation under way (a new temporary file, a blob
  growing, a manifest gone), so it falls inside the operation rather than before it; one that falls after the
  operation's last write is taken back and tried again, three kills at most. The report says what the store
  showed at the kill and whether the operation completed or was rolled back.

  Rule: SIGKILL in the middle of a store operation leaves each model whole or absent

    Scenario Outline: A gateway killed while it <operation> restarts with every model whole or absent
      Given the store's listing is noted
      When the gateway is killed once the store shows it <operation>, and started again
      Then the store is consistent
      And the operation either completed or left no trace, and the report says which
      And no blob is left that no model uses
      And every listed model can be shown and answers

      Examples: the store's own writes
        | operation         |
        | receives a blob   |
        | copies a model    |
        | deletes a model   |

      @slow
      Examples: creates
        | operation                    |
        | creates a model from a GGUF  |
        | creates a model from another |
