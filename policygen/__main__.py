from policygen.cli import main

main()
