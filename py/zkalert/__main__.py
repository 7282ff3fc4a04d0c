from zkalert.cli.app import main

main()
