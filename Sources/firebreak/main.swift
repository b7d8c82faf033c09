import FirebreakCLI

Firebreak.main()
