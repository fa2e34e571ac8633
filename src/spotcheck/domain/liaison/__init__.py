"""联络员制度 (附件2): what the liaisons of the member departments do on the platform.

- ``report``: periodic work information reports (工作信息报送, 二(二), 附件1 第九条) with the
  figures the statistics already know, computed at submission and never entered by hand;
- ``replacement``: the office's request to replace a liaison who does not perform (一(五)) and
  the department's answer;
- ``coordination``: matters that need other departments, raised to the office (二(五)) and
  tracked to an answer;
- ``training``: training sessions for inspectors (宣传培训, 二(八)) with their attendance.

Contact details and the handover (一(二), 一(四)) stay on the department (``domain/department``).
Who is the office: ``office``.
"""
