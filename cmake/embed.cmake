# Writes OUTPUT, a C++ file defining `extern const char* const NAME[]`: the contents of each file
# of INPUTS (paths separated by ','), in order, then a null pointer.
string(REPLACE "," ";" INPUTS "${INPUTS}")
set(delim "openvpc_embed")
set(body "extern const char* const ${NAME}[];\nconst char* const ${NAME}[] = {\n")
foreach(input IN LISTS INPUTS)
  file(READ "${input}" content)
  string(APPEND body "R\"${delim}(${content})${delim}\",\n")
endforeach()
string(APPEND body "nullptr};\n")
file(WRITE "${OUTPUT}" "${body}")
