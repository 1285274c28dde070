// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArrayView>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <functional>

// A JSON object described once and then either built whole (toJsonObject) or written out piece by
// piece (JsonStream) in the bytes QJsonDocument::toJson(Indented) gives for the built one. The
// second is for documents too big to hold twice: `stateward-cli scan --json` of 100 000 records
// would otherwise keep every item as a QJsonObject and the whole text at once.
namespace Stateward {

class JsonArraySink;

// One member of an object: a value, or an array whose elements `elements` hands to the sink one
// at a time (each can be dropped once handed over).
struct JsonMember
{
    QString key;
    QJsonValue value;
    std::function<void(JsonArraySink&)> elements; // when set, the value is this array
};
using JsonMembers = QList<JsonMember>;

class JsonArraySink
{
public:
    virtual ~JsonArraySink() = default;
    virtual void append(const QJsonValue& value) = 0;
    virtual void appendObject(const JsonMembers& members) = 0;
};

QJsonObject toJsonObject(const JsonMembers& members);

class JsonStream
{
public:
    using Write = std::function<void(QByteArrayView)>;
    explicit JsonStream(Write write);
    // The whole document: an object, with the newline QJsonDocument ends it with.
    void writeDocument(const JsonMembers& members);

private:
    class Array;
    void writeObject(const JsonMembers& members, int depth);
    void writeValue(const QJsonValue& value, int depth);
    void indent(int depth);
    Write m_write;
};

} // namespace Stateward
