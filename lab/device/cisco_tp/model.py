"""The software a Cisco RoomOS endpoint of the twin runs."""

SOFTWARE = "ce9.15.3.17"
RELEASE = "Cisco Codec Release ce 9.15.3.17 4a5af0c2f39 2022-07-05"
