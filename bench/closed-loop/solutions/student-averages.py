from dataclasses import dataclass

@dataclass
class Student:
    name: str
    scores: list

students = [Student("lena", [70, 85, 90]), Student("omar", [55, 60, 52]), Student("ivy", [100, 90, 95])]
for s in students:
    avg = sum(s.scores) / len(s.scores)
    status = "pass" if avg >= 60 else "fail"
    print(f"{s.name} {avg:.1f} {status}")
