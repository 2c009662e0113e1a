"""`locker serve`: the local web page, for people who never open a terminal (issue 12).

A thin interface like the click commands: every route parses, makes one `locker.app` call and
renders. `guard` keeps everyone but the person who started it out; `unlocked` holds the one
open locker; `pages` has the routes; `text` the words in Chinese and English.
"""
