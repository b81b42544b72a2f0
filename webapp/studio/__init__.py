"""The designer studio (thiết kế): procedures and their versions, differences in words,
export and import of packages, publishing. Designers only (role ``designer``)."""
