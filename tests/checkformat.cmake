# SPDX-License-Identifier: GPL-3.0-or-later
# Fails listing every tracked C/C++ file that clang-format would change.
file(GLOB_RECURSE files RELATIVE ${SOURCE_DIR}
    ${SOURCE_DIR}/app/*.cpp ${SOURCE_DIR}/app/*.h ${SOURCE_DIR}/core/*.cpp ${SOURCE_DIR}/core/*.h
    ${SOURCE_DIR}/demo/*.cpp ${SOURCE_DIR}/demo/*.h
    ${SOURCE_DIR}/ui/*.cpp ${SOURCE_DIR}/ui/*.h ${SOURCE_DIR}/tests/*.cpp ${SOURCE_DIR}/tests/*.h
    ${SOURCE_DIR}/tests/*.c)
list(FILTER files EXCLUDE REGEX "node_modules/")
set(bad "")
foreach(f IN LISTS files)
    execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror ${f}
        WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if(NOT rc EQUAL 0)
        list(APPEND bad ${f})
    endif()
endforeach()
if(bad)
    list(JOIN bad "\n  " pretty)
    message(FATAL_ERROR "clang-format would change:\n  ${pretty}\nRun: clang-format -i <files>")
endif()
list(LENGTH files n)
message(STATUS "format: ${n} files follow .clang-format")
