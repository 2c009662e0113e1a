"""`python -m locker` and the console script both enter here."""

from locker.cli import main

if __name__ == "__main__":
    main()
