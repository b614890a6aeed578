@aider @needs.aider @needs.capable_model @slow
Feature: Aider's edits through the stack
  As a developer who asks Aider to change my code
  I want the capable model on the stack to make the edit I asked for
  So that code completion, multi-file changes, refactoring, fixes and documentation work as they do on Ollama

  Each task has tests the model never sees; they are copied in only to run. An edit counts when the tests pass and
  what the task names holds in the files and in git. As in Aider's benchmark, a failed edit gets one more try with
  the test output sent back. The last scenario is the control: the same checks fail on an edit left unapplied.

  Rule: Aider's edit does what was asked, judged by the files, git and the tests

    @critical
    Scenario: Code generation writes a new function into an empty module
      Given a scratch repository for the task "fizzbuzz"
      When Aider makes the task's edit with the capable model, with one more try if the tests fail
      Then the task's tests pass
      And Aider committed its change to fizzbuzz.py

    @critical
    Scenario: One change touches a function and its caller in two files
      Given a scratch repository for the task "discount"
      When Aider makes the task's edit with the capable model, with one more try if the tests fail
      Then the task's tests pass
      And Aider committed its change to pricing.py and checkout.py

    @normal
    Scenario: A rename reaches every file and leaves no trace of the old name
      Given a scratch repository for the task "rename"
      When Aider makes the task's edit with the capable model, with one more try if the tests fail
      Then the task's tests pass
      And "calc_area" appears in no file of the repository
      And Aider committed its change to geometry.py and report.py

    @normal
    Scenario: Docstrings are added without changing behaviour
      Given a scratch repository for the task "docstrings"
      When Aider makes the task's edit with the capable model, with one more try if the tests fail
      Then the task's tests pass
      And every public function in textutil.py has a docstring and its code is otherwise unchanged
      And Aider committed its change to textutil.py

  Rule: Aider fixes a failing test by running the tests after its edits

    @critical
    Scenario: Aider fixes a bug by running the tests after its edit until they pass
      Given a scratch repository for the task "median"
      When Aider fixes the task with the capable model, running the task's tests after every edit
      Then Aider ran the task's tests after its edit
      And the task's tests pass
      And Aider committed its change to stats.py

  Rule: The edit checks fail when the reply is not applied

    @critical
    Scenario: The edit checks reject a reply that Aider never applied (negative control)
      Given a scratch repository for the task "fizzbuzz"
      When the capable model answers the task's instruction but Aider does not apply its edit
      Then the model's reply held an edit that Aider did not apply
      And the edit checks reject the repository
