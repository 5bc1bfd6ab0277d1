people = [("ana", "eng"), ("ben", "ops"), ("cat", "eng"), ("dan", "sales"), ("eve", "ops"), ("fay", "eng")]
teams = {}
for name, team in people:
    teams.setdefault(team, []).append(name)
for team in sorted(teams):
    print(f"{team}: {', '.join(teams[team])}")
